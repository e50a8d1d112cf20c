"""The ASGI entry point uvicorn's workers import: settings from the environment."""

from guichet.server import create_app
from guichet.settings import load_settings

app = create_app(load_settings())
