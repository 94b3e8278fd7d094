"""The core commands: infer, map, demo, evaluate, scenario."""

from __future__ import annotations
