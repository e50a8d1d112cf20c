"""Glue between GraphQL and the domain: context, loaders, and thin resolver functions."""
