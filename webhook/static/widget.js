/* WeerAan chat widget. Plain JavaScript, no framework, no build step.
 *
 * <script src="https://<weeraan host>/widget.js" defer></script> adds <div id="weeraan-chat">
 * at the end of <body> with an open shadow root. Its stylesheet and the widget JSON API come
 * from the script's own origin. Every text is inserted as text (textContent), never as HTML.
 *
 * A link to the page can open the chat: ?weeraan-lang=ar&weeraan-source=poster. A new
 * session starts in that language (if offered) and records that source; a stored one resumes.
 */
(() => {
  "use strict";
  if (document.getElementById("weeraan-chat")) return;

  const script = document.currentScript || document.querySelector("script[src*='widget.js']");
  const BASE = new URL(script ? script.src : "/widget.js", location.href);
  const SESSIONS = new URL("/api/chat/sessions", BASE).href;
  const STORE = "weeraan.session";
  const KEEP_MS = 30 * 24 * 3600 * 1000; // a conversation is kept 30 days after its last message
  const RTL = ["ar", "fa", "he", "ur"];
  const ISOLATE = /[\u2066-\u2069]/g;
  const NAMES = { nl: "Nederlands", en: "English", uk: "Українська", tr: "Türkçe", ar: "العربية", pl: "Polski" };
  const W = "\u2068WeerAan\u2069";

  // The widget's own texts, in each conversation language ({s} = seconds).
  const TEXTS = {
    nl: {
      open: "Chat met WeerAan", sub: "Chatbot, geen mens", close: "Sluit de chat",
      erase: "Wis dit gesprek", erased: "Het gesprek is gewist.", lang: "Taal", log: "Gesprek",
      choose: "Kies een antwoord", text: "Uw antwoord", phone: "Uw telefoonnummer",
      email: "Uw e-mailadres", postcode: "Uw postcode en huisnummer", send: "Verstuur",
      typing: "WeerAan schrijft…", speak: "Lees voor", calendar: "Zet de afspraak in uw agenda",
      bot: "WeerAan:", me: "U:", retry: "Opnieuw proberen",
      offline: "Geen internet. Uw bericht is nog niet verstuurd. Als er weer internet is, proberen we het opnieuw.",
      error: "Er ging iets mis. Probeer het opnieuw.",
      wait: "Het is even druk. We proberen het zo opnieuw.",
      busy: "Het is nu te druk. Probeer het over een paar minuten opnieuw.",
      expired: "Dit gesprek bestaat niet meer. We beginnen opnieuw.",
    },
    en: {
      open: "Chat with WeerAan", sub: "A chatbot, not a person", close: "Close the chat",
      erase: "Delete this conversation", erased: "The conversation has been deleted.",
      lang: "Language", log: "Conversation", choose: "Choose an answer", text: "Your answer",
      phone: "Your phone number", email: "Your email address",
      postcode: "Your postcode and house number", send: "Send", typing: "WeerAan is writing…",
      speak: "Read aloud", calendar: "Add the appointment to your calendar", bot: "WeerAan:",
      me: "You:", retry: "Try again",
      offline: "No internet. Your message has not been sent yet. We will try again when you are back online.",
      error: "Something went wrong. Please try again.",
      wait: "It is busy right now. We will try again in a moment.",
      busy: "It is too busy right now. Please try again in a few minutes.",
      expired: "This conversation no longer exists. We are starting again.",
    },
    uk: {
      open: "Чат з WeerAan", sub: "Чат-бот, а не людина", close: "Закрити чат",
      erase: "Видалити цю розмову", erased: "Розмову видалено.", lang: "Мова", log: "Розмова",
      choose: "Оберіть відповідь", text: "Ваша відповідь", phone: "Ваш номер телефону",
      email: "Ваша електронна адреса", postcode: "Ваш поштовий індекс і номер будинку",
      send: "Надіслати", typing: "WeerAan пише…", speak: "Прочитати вголос",
      calendar: "Додати зустріч до календаря", bot: "WeerAan:", me: "Ви:",
      retry: "Спробувати ще раз",
      offline: "Немає інтернету. Ваше повідомлення ще не надіслано. Ми спробуємо знову, коли інтернет з’явиться.",
      error: "Щось пішло не так. Спробуйте ще раз.",
      wait: "Зараз багато запитів. Ми зараз спробуємо знову.",
      busy: "Зараз забагато запитів. Спробуйте ще раз за кілька хвилин.",
      expired: "Цієї розмови більше немає. Починаємо знову.",
    },
    tr: {
      open: "WeerAan ile sohbet", sub: "Bir sohbet robotu, insan değil", close: "Sohbeti kapat",
      erase: "Bu sohbeti sil", erased: "Sohbet silindi.", lang: "Dil", log: "Sohbet",
      choose: "Bir cevap seçin", text: "Cevabınız", phone: "Telefon numaranız",
      email: "E-posta adresiniz", postcode: "Posta kodunuz ve ev numaranız", send: "Gönder",
      typing: "WeerAan yazıyor…", speak: "Sesli oku", calendar: "Randevuyu takviminize ekleyin",
      bot: "WeerAan:", me: "Siz:", retry: "Tekrar dene",
      offline: "İnternet yok. Mesajınız henüz gönderilmedi. İnternet geri gelince tekrar deneyeceğiz.",
      error: "Bir sorun oldu. Lütfen tekrar deneyin.",
      wait: "Şu anda yoğunluk var. Birazdan tekrar deneyeceğiz.",
      busy: "Şu anda çok yoğun. Lütfen birkaç dakika sonra tekrar deneyin.",
      expired: "Bu sohbet artık yok. Yeniden başlıyoruz.",
    },
    ar: {
      open: "الدردشة مع " + W, sub: "روبوت محادثة، وليس إنسانًا", close: "إغلاق المحادثة",
      erase: "حذف هذه المحادثة", erased: "تم حذف المحادثة.", lang: "اللغة", log: "المحادثة",
      choose: "اختاروا إجابة", text: "إجابتكم", phone: "رقم هاتفكم",
      email: "عنوان بريدكم الإلكتروني", postcode: "الرمز البريدي ورقم المنزل", send: "إرسال",
      typing: W + " يكتب…", speak: "قراءة بصوت عالٍ", calendar: "أضيفوا الموعد إلى التقويم",
      bot: W + ":", me: "أنتم:", retry: "حاولوا مرة أخرى",
      offline: "لا يوجد اتصال بالإنترنت. لم تُرسَل رسالتكم بعد. سنحاول مرة أخرى عند عودة الاتصال.",
      error: "حدث خطأ ما. حاولوا مرة أخرى.",
      wait: "هناك ضغط كبير الآن. سنحاول مرة أخرى بعد قليل.",
      busy: "الضغط كبير جدًا الآن. حاولوا مرة أخرى بعد بضع دقائق.",
      expired: "هذه المحادثة لم تعد موجودة. سنبدأ من جديد.",
    },
    pl: {
      open: "Czat z WeerAan", sub: "Czatbot, nie człowiek", close: "Zamknij czat",
      erase: "Usuń tę rozmowę", erased: "Rozmowa została usunięta.", lang: "Język",
      log: "Rozmowa", choose: "Proszę wybrać odpowiedź", text: "Odpowiedź",
      phone: "Numer telefonu", email: "Adres e-mail", postcode: "Kod pocztowy i numer domu",
      send: "Wyślij", typing: "WeerAan pisze…", speak: "Przeczytaj na głos",
      calendar: "Dodaj spotkanie do kalendarza", bot: "WeerAan:", me: "Państwo:",
      retry: "Spróbuj ponownie",
      offline: "Brak internetu. Wiadomość nie została jeszcze wysłana. Spróbujemy ponownie, gdy internet wróci.",
      error: "Coś poszło nie tak. Proszę spróbować ponownie.",
      wait: "Jest teraz duży ruch. Za chwilę spróbujemy ponownie.",
      busy: "Jest teraz zbyt duży ruch. Proszę spróbować za kilka minut.",
      expired: "Ta rozmowa już nie istnieje. Zaczynamy od nowa.",
    },
  };

  const base = (code) => String(code || "").toLowerCase().split(/[-_]/)[0];

  // The page's link (prefixed names, so they cannot clash with the site's own parameters).
  const query = new URLSearchParams(location.search);
  const linked = (name) => query.get(`weeraan-${name}`) || "";
  const FROM_LINK = query.has("weeraan-lang") || query.has("weeraan-source");
  const LINK_LANG = Object.hasOwn(NAMES, base(linked("lang"))) ? base(linked("lang")) : null;
  const LINK_SOURCE = /^[A-Za-z0-9_-]{1,64}$/.test(linked("source")) ? linked("source") : undefined;

  const initial = LINK_LANG && !readStored() ? LINK_LANG : base(navigator.language);
  let locale = TEXTS[initial] ? initial : "nl";
  const t = (key, seconds) => (TEXTS[locale] || TEXTS.nl)[key].replace("{s}", seconds);

  // -- building the DOM (attributes and text only) -------------------------------------------

  const make = (tag, attributes, text) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const icon = (path) => {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const line = document.createElementNS("http://www.w3.org/2000/svg", "path");
    line.setAttribute("d", path);
    svg.append(line);
    return svg;
  };
  const ICON_CHAT = "M4 4h16v12H8l-4 4z";
  const ICON_CLOSE = "M6 6l12 12M18 6L6 18";
  const ICON_SPEAK = "M4 9v6h4l5 4V5L8 9zm12-1a5 5 0 0 1 0 8m2-11a9 9 0 0 1 0 14";

  const host = make("div", { id: "weeraan-chat" });
  const shadow = host.attachShadow({ mode: "open" });
  const pageRtl = getComputedStyle(document.documentElement).direction === "rtl";
  const root = make("aside", { class: pageRtl ? "wa-root wa-left" : "wa-root", hidden: "" });
  const stylesheet = make("link", { rel: "stylesheet", href: new URL("/widget.css", BASE).href });
  stylesheet.addEventListener("load", () => { root.hidden = false; });
  stylesheet.addEventListener("error", () => { root.hidden = false; });

  const launcher = make("button", { type: "button", class: "wa-launcher", "aria-expanded": "false", "aria-controls": "wa-panel" });
  const launcherText = make("span");
  launcher.append(icon(ICON_CHAT), launcherText);

  const panel = make("section", { class: "wa-panel", id: "wa-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "wa-title", hidden: "" });
  const title = make("h2", { class: "wa-title", id: "wa-title" }, "WeerAan");
  const subtitle = make("p", { class: "wa-sub" });
  const closer = make("button", { type: "button", class: "wa-close" });
  closer.append(icon(ICON_CLOSE));
  const head = make("header", { class: "wa-head" });
  const heading = make("div");
  heading.append(title, subtitle);
  head.append(heading, closer);

  const languageLabel = make("label", { for: "wa-lang" });
  const picker = make("select", { class: "wa-lang", id: "wa-lang" });
  for (const [code, name] of Object.entries(NAMES)) picker.append(make("option", { value: code, lang: code }, name));
  const eraser = make("button", { type: "button", class: "wa-erase" });
  const tools = make("div", { class: "wa-tools" });
  tools.append(languageLabel, picker, eraser);

  const log = make("div", { class: "wa-log", role: "log", tabindex: "0" });
  const typing = make("div", { class: "wa-typing", hidden: "" });
  const typingText = make("span");
  typing.append(make("span", { class: "wa-dots", "aria-hidden": "true" }), typingText);
  const status = make("div", { class: "wa-status", role: "status" });
  const retry = make("button", { type: "button", class: "wa-retry", hidden: "" });

  const form = make("form", { class: "wa-form", novalidate: "" });
  const inputLabel = make("label", { class: "wa-label", for: "wa-input" });
  const input = make("input", { class: "wa-input", id: "wa-input", type: "text", maxlength: "2000", autocomplete: "off", inputmode: "text", enterkeyhint: "send" });
  const sender = make("button", { type: "submit", class: "wa-send" });
  const row = make("div", { class: "wa-row" });
  row.append(input, sender);
  form.append(inputLabel, row);
  const live = make("div", { class: "wa-live", "aria-live": "polite" });

  panel.append(head, tools, log, typing, status, retry, form, live);
  root.append(launcher, panel);
  shadow.append(stylesheet, root);
  const attach = () => document.body.append(host);
  if (document.body) attach();
  else document.addEventListener("DOMContentLoaded", attach); // a script in <head> without defer

  // -- language and labels -------------------------------------------------------------------

  function setLocale(code) {
    const lang = base(code) || "nl";
    locale = lang;
    const rtl = RTL.includes(lang) ? "rtl" : "ltr";
    for (const node of [panel, launcher]) { node.lang = lang; node.dir = rtl; }
    if (NAMES[lang]) picker.value = lang;
    launcherText.textContent = t("open");
    root.setAttribute("aria-label", t("open"));
    subtitle.textContent = t("sub");
    closer.setAttribute("aria-label", t("close"));
    languageLabel.textContent = t("lang");
    eraser.textContent = t("erase");
    log.setAttribute("aria-label", t("log"));
    typingText.textContent = t("typing");
    retry.textContent = t("retry");
    sender.textContent = t("send");
    setInput(inputKind);
    for (const group of log.querySelectorAll(".wa-options")) group.setAttribute("aria-label", t("choose"));
    for (const link of log.querySelectorAll(".wa-calendar")) link.textContent = t("calendar");
  }

  // The answer field follows the kind of answer the last question expects.
  let inputKind = null;
  const FIELDS = {
    phone: { type: "tel", inputmode: "tel", autocomplete: "tel" },
    email: { type: "email", inputmode: "email", autocomplete: "email" },
    postcode: { type: "text", inputmode: "text", autocomplete: "off" },
  };
  function setInput(kind) {
    inputKind = kind || null;
    const field = FIELDS[inputKind] || { type: "text", inputmode: "text", autocomplete: "off" };
    for (const [name, value] of Object.entries(field)) input.setAttribute(name, value);
    inputLabel.textContent = t(FIELDS[inputKind] ? inputKind : "text");
  }

  // -- storage: {session_id, token, expires} --------------------------------------------------

  let session = null;
  function readStored() {
    try {
      const saved = JSON.parse(localStorage.getItem(STORE) || "null");
      const expires = typeof saved?.expires === "number" ? saved.expires : Date.parse(saved?.expires);
      if (saved?.session_id && saved.token && expires > Date.now()) return saved;
    } catch (_) { /* no storage, or not JSON: start fresh */ }
    forget();
    return null;
  }
  function keep() {
    session.expires = Date.now() + KEEP_MS;
    try { localStorage.setItem(STORE, JSON.stringify(session)); } catch (_) { /* private mode */ }
  }
  function forget() {
    try { localStorage.removeItem(STORE); } catch (_) { /* private mode */ }
  }

  // -- talking to the API -----------------------------------------------------------------------

  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
  const sessionUrl = (rest) => `${SESSIONS}/${encodeURIComponent(session.session_id)}${rest || ""}`;

  // One request; a 429 is waited out (Retry-After) and tried once more. Network failure: 0.
  async function request(method, url, body) {
    for (let attempt = 0; ; attempt += 1) {
      const headers = {};
      if (body) headers["Content-Type"] = "application/json";
      if (session && url.startsWith(sessionUrl())) headers.Authorization = `Bearer ${session.token}`;
      let response;
      try {
        response = await fetch(url, { method, headers, body: body ? JSON.stringify(body) : undefined, credentials: "omit", cache: "no-store" });
      } catch (_) {
        return { status: 0, data: null };
      }
      if (response.status === 429 && attempt === 0) {
        const seconds = Math.min(Math.max(parseInt(response.headers.get("Retry-After"), 10) || 5, 1), 120);
        setStatus(t("wait", seconds));
        await sleep(seconds * 1000);
        setStatus("");
        continue;
      }
      let data = null;
      try { data = await response.json(); } catch (_) { /* 204, or not JSON */ }
      return { status: response.status, data, response };
    }
  }

  // Run one task at a time with the typing indicator; a failure shows its state and keeps the
  // task for "Try again" (and for coming back online).
  let busy = false;
  let pending = null;
  async function run(task) {
    if (busy) return;
    busy = true;
    pending = null;
    setStatus("");
    typing.hidden = false;
    try {
      await task();
    } catch (failure) {
      pending = task;
      const code = failure?.status;
      setStatus(code === 0 || !navigator.onLine ? t("offline") : code === 429 ? t("busy") : t("error"), true);
      for (const button of log.querySelectorAll(".wa-option")) button.disabled = false;
      log.scrollTop = log.scrollHeight;
    } finally {
      busy = false;
      typing.hidden = true;
    }
  }
  const expect = (result, ...codes) => {
    if (!codes.includes(result.status)) throw result;
    return result.data;
  };

  function setStatus(text, failed) {
    status.textContent = text;
    status.classList.toggle("wa-problem", Boolean(failed));
    retry.hidden = !failed;
    const focused = shadow.activeElement;
    if (failed && !panel.hidden && (!focused || focused.disabled)) retry.focus(); // focus was lost
  }

  async function create(language) {
    session = null;
    const body = { locale: language || LINK_LANG || navigator.language || "nl", source: LINK_SOURCE };
    const data = expect(await request("POST", SESSIONS, body), 201);
    session = { session_id: data.session_id, token: data.token, expires: 0 };
    keep();
    clearLog();
    show(data);
  }

  // A session the server no longer knows (erased, expired): start a new one and say so.
  const gone = (result) => result.status === 401 || result.status === 404;
  async function startOver() {
    forget();
    await create(locale);
    setStatus(t("expired"));
  }

  async function begin() {
    const saved = readStored();
    if (!saved) return create();
    session = saved;
    const result = await request("GET", sessionUrl());
    if (gone(result)) return create();
    clearLog();
    show(expect(result, 200));
  }

  function send(body, shown) {
    if (busy) return;
    if (shown) addUser(shown);
    for (const button of log.querySelectorAll(".wa-option")) button.disabled = true;
    run(async () => {
      if (!session) return create();
      const result = await request("POST", sessionUrl("/messages"), body);
      if (gone(result)) return startOver();
      show(expect(result, 200));
    });
  }

  // -- the transcript ---------------------------------------------------------------------------

  let ended = false;
  let started = false;

  function clearLog() {
    stopSpeaking();
    log.replaceChildren();
    live.replaceChildren();
  }

  function addUser(text) {
    const message = make("div", { class: "wa-msg wa-user", "data-who": t("me") });
    message.append(make("p", { class: "wa-text", dir: "auto" }, text));
    log.append(message);
    log.scrollTop = log.scrollHeight;
  }

  function addBot(text) {
    const message = make("div", { class: "wa-msg wa-bot", lang: locale, "data-who": t("bot") });
    message.append(make("p", { class: "wa-text" }, text));
    log.append(message);
    addSpeaker(message);
    return message;
  }

  function show(turn) {
    setLocale(turn.locale || locale);
    for (const old of log.querySelectorAll(".wa-options")) old.remove();
    live.replaceChildren();
    const messages = turn.messages || [];
    let first = null;
    for (const message of messages) {
      const node = addBot(message.text);
      first = first || node;
      live.append(make("p", {}, message.text)); // announced once, politely
    }
    const last = messages[messages.length - 1];
    if (last && last.options && last.options.length) {
      const group = make("div", { class: "wa-options", role: "group", "aria-label": t("choose") });
      for (const option of last.options) {
        const button = make("button", { type: "button", class: "wa-option", "data-option-id": option.id }, option.label);
        button.addEventListener("click", () => send({ option: option.id }, option.label));
        group.append(button);
      }
      log.append(group);
    }
    if (turn.calendar && !log.querySelector(".wa-calendar")) addCalendar(turn.calendar);
    setInput(last ? last.input : null);
    ended = Boolean(turn.ended);
    if (ended) forget();
    else keep();
    reveal(first);
  }

  // Focus goes to the input when the question expects typing, else to the first option.
  function focusTarget() {
    const option = log.querySelector(".wa-option:not([disabled])");
    return inputKind || !option ? input : option;
  }

  function reveal(first) {
    const target = focusTarget();
    if (!panel.hidden) target.focus({ preventScroll: true });
    if (first) log.scrollTop = first.offsetTop - 8;
    if (target !== input && target.offsetTop + target.offsetHeight > log.scrollTop + log.clientHeight) {
      log.scrollTop = target.offsetTop + target.offsetHeight + 8 - log.clientHeight;
    }
  }

  // The .ics is fetched with the token (never in a URL) and handed over as a blob URL.
  function addCalendar(path) {
    const url = new URL(path, BASE).href;
    const link = make("a", { class: "wa-calendar", href: "#" }, t("calendar"));
    link.addEventListener("click", async (event) => {
      event.preventDefault();
      const response = await fetch(url, { headers: { Authorization: `Bearer ${session.token}` }, credentials: "omit", cache: "no-store" }).catch(() => null);
      if (!response || !response.ok) return setStatus(response ? t("error") : t("offline"), false);
      const blob = URL.createObjectURL(await response.blob());
      const download = make("a", { href: blob, download: "afspraak.ics" });
      shadow.append(download);
      download.click();
      download.remove();
      setTimeout(() => URL.revokeObjectURL(blob), 60000);
    });
    log.append(link);
  }

  // -- read aloud ------------------------------------------------------------------------------

  const speech = "speechSynthesis" in window ? window.speechSynthesis : null;
  const voiceFor = (lang) => (speech ? speech.getVoices().find((voice) => base(voice.lang) === lang) : null);
  let speaking = null;

  function stopSpeaking() {
    if (speech && speaking) speech.cancel();
    if (speaking) speaking.setAttribute("aria-pressed", "false");
    speaking = null;
  }

  function addSpeaker(message) {
    if (message.querySelector(".wa-speak") || !voiceFor(message.lang)) return;
    const button = make("button", { type: "button", class: "wa-speak", "aria-pressed": "false", "aria-label": t("speak"), title: t("speak") });
    button.append(icon(ICON_SPEAK));
    button.addEventListener("click", () => {
      const again = speaking === button;
      stopSpeaking();
      if (again) return;
      const voice = voiceFor(message.lang);
      if (!voice) return;
      const utterance = new SpeechSynthesisUtterance(message.querySelector(".wa-text").textContent.replace(ISOLATE, ""));
      utterance.lang = voice.lang;
      utterance.voice = voice;
      utterance.addEventListener("end", () => { if (speaking === button) stopSpeaking(); });
      speaking = button;
      button.setAttribute("aria-pressed", "true");
      speech.speak(utterance);
    });
    message.append(button);
  }
  // Voices often arrive after the first messages: add the buttons then.
  if (speech && speech.addEventListener) {
    speech.addEventListener("voiceschanged", () => {
      for (const message of log.querySelectorAll(".wa-bot")) addSpeaker(message);
    });
  }

  // -- opening, closing and the controls ------------------------------------------------------

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    if (!started) {  // a finished conversation stays readable; the next message starts anew
      started = true;
      ended = false;
      input.focus();
      run(begin);
    } else {
      focusTarget().focus();
    }
  }

  function close() {
    stopSpeaking();
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
  closer.addEventListener("click", close);
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) {
      event.preventDefault();
      close();
    }
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    send({ text }, text);
  });

  picker.addEventListener("change", () => {
    const code = picker.value;
    if (busy) { picker.value = locale; return; }
    if (code === locale && session) return;
    const focus = shadow.activeElement;
    run(async () => {
      if (!session) return create(code);
      let result = await request("POST", sessionUrl("/messages"), { option: "cmd:language" });
      if (result.status === 200) result = await request("POST", sessionUrl("/messages"), { option: `lang:${code}` });
      if (gone(result)) { forget(); return create(code); }
      show(expect(result, 200));
    }).then(() => focus === picker && picker.focus()); // changing language keeps the focus here
  });

  eraser.addEventListener("click", () => run(async () => {
    if (session) expect(await request("DELETE", sessionUrl()), 204, 401, 404);
    forget();
    await create(locale);
    setStatus(t("erased"));
  }));

  retry.addEventListener("click", () => { if (pending) run(pending); });
  window.addEventListener("online", () => { if (pending) run(pending); });

  setLocale(locale);
  if (FROM_LINK) open();
})();
