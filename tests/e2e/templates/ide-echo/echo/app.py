import json


def handler(event, context):
    big = event.get("big") if isinstance(event, dict) else None
    if big:
        print("x" * int(big))  # a large log line, for the slow-client test
    else:
        print("EVENT " + json.dumps(event, sort_keys=True))
    return {"echo": event}
