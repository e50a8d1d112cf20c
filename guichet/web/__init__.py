"""HTTP routes beside /graphql: health, metrics, downloads, webhooks, GraphiQL assets."""
