"""Tarmac's capture layer for Python functions: logs each incoming event, redacted, as one line
`EVENT {json}` (what `tarmac replay` reads from CloudWatch Logs), then calls the function's own
handler (TARMAC_CAPTURE_HANDLER, "module.function"; the exec wrapper sets it from _HANDLER).

TARMAC_CAPTURE_REDACT: comma-separated field names (case-insensitive, at any depth) whose values
are replaced by "REDACTED"; by default authorization, cookie, password, token and email
fields. TARMAC_CAPTURE_SAMPLE: the fraction of events logged (1.0)."""
import importlib
import json
import os
import random

_DEFAULT_REDACT = "authorization,cookie,set-cookie,password,secret,token,x-api-key,email"
_REDACT = {f.strip().lower() for f in os.environ.get("TARMAC_CAPTURE_REDACT", _DEFAULT_REDACT).split(",")
           if f.strip()}
_SAMPLE = float(os.environ.get("TARMAC_CAPTURE_SAMPLE", "1") or 1)


def redact(value):
    if isinstance(value, dict):
        return {k: ("REDACTED" if str(k).lower() in _REDACT else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def _load():
    spec = os.environ.get("TARMAC_CAPTURE_HANDLER", "")
    module_name, _, function = spec.rpartition(".")
    if not module_name or not function:
        raise RuntimeError("TARMAC_CAPTURE_HANDLER is not a module.function handler: %r" % spec)
    return getattr(importlib.import_module(module_name.replace("/", ".")), function)


_handler = _load()


def handler(event, context):
    if _SAMPLE >= 1 or random.random() < _SAMPLE:
        try:
            print("EVENT " + json.dumps(redact(event), separators=(",", ":"), default=str), flush=True)
        except Exception as e:  # never let capturing break the function
            print("tarmac capture: could not log the event: %s" % e, flush=True)
    return _handler(event, context)
