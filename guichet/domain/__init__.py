"""The business: models, pure rules and the services that apply them. No GraphQL here."""
