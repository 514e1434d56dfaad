"""`secor-docs serve`: a local web app over the same YAML profiles (Flask, server-rendered, no build step)."""
from .app import create_app

__all__ = ["create_app"]
