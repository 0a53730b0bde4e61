"""Helpers shared by the tests; nothing here is collected as a test.

Test folders hold only ``test_*.py`` files and mirror the package; anything two tests
would otherwise copy (a broker harness, a socket client, strategies, the Java bridge,
the fault proxy, a read-back consumer) lives here and is imported as ``tests.support.X``.
"""
