"""The GraphQL surface (Strawberry). Types describe; they do not decide."""
