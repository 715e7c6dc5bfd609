"""glossapi-dagster."""
