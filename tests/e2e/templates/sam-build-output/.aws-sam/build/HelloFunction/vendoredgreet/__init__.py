def greet():
    return {"message": "hello from what sam build installed"}
