"""One semantic model: the IR every reader produces and every part of the product reads.

(DESIGN prose; see also docs/architecture.md, "The semantic model".)
"""

from generator.semantic.location import Location, ModelSourceError
from generator.semantic.model import SemanticModel

__all__ = ["Location", "ModelSourceError", "SemanticModel"]
