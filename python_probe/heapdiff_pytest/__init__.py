"""heapdiff's pytest plugin (``pytest --heapdiff``), registered through the ``pytest11``
entry point. A package of its own, outside ``heapdiff``: pytest imports every registered
plugin at start-up, and this one must cost nothing, and fail nothing, unless asked
(``heapdiff`` itself, with its native probe, is imported only with ``--heapdiff`` or
when a test asks for the ``heapdiff_snapshot`` fixture)."""
