"""Clean step: rule packs (data) applied by the engine (code)."""

from kliping.clean.engine import Cleaned, clean_lines
from kliping.clean.rules import RulePackError, RuleSet, load_rules

__all__ = ["Cleaned", "RulePackError", "RuleSet", "clean_lines", "load_rules"]
