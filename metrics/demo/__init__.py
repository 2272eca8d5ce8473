"""The demo state (fictional): a seeded generator of definitions and feeds."""

from .generate import build_demo

__all__ = ["build_demo"]
