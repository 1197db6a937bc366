from random import randint


def lambda_handler(event, context):
    """A mock stock price between 0 and 100 (a test may fix it with "price" in the input)."""
    return {"stock_price": event.get("price", randint(0, 100))}
