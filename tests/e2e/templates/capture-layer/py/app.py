def handler(event, context):
    return {"runtime": "python", "order": event.get("order"), "password": event.get("password")}
