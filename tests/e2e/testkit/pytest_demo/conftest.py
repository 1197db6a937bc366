"""Loads the Tarmac plugin for the example suite. In a project of your own, put
tools/testkit/python on PYTHONPATH (or copy pytest_tarmac.py next to this file) and keep the
pytest_plugins line."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "..", "tools", "testkit", "python"))

pytest_plugins = ["pytest_tarmac"]
