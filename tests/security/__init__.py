"""Security properties of the stored data: encryption at rest."""
