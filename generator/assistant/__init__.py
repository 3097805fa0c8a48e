"""``gen-measures mcp``: the measure catalogue, measure queries and DAX for AI assistants, through the DAX engine.

:mod:`generator.assistant.catalogue` lists what may be asked (measures, dimensions), :mod:`generator.assistant.dax`
writes the DAX of a measure query, :mod:`generator.assistant.analyst` answers each tool for one identity within the
limits, and :mod:`generator.assistant.server` serves them over the Model Context Protocol (the optional ``mcp``
package). Only the last one imports ``mcp``.
"""
