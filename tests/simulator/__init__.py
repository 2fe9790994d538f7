"""Stateful simulators of the vendor clouds, served over real HTTP.

Each vendor's simulator is a :class:`~tests.simulator.core.VendorSimulator`:
an aiohttp application with a clock the tests control (``freezer``), fault
injection per endpoint and a request log. ``tests/simulator/fixtures.py`` starts
them on 127.0.0.1 for tests; ``python -m tests.simulator`` serves all of them on
fixed ports for ``scripts/develop`` and the demo.
"""
