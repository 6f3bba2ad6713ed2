"""Fakes of outside services, shared by the tests (real HTTP on 127.0.0.1)."""
