from datetime import datetime
from random import randint
from uuid import uuid4


def lambda_handler(event, context):
    """A mock sell of the stock at the price the checker found."""
    return {
        "id": str(uuid4()),
        "price": str(event["stock_price"]),
        "type": "sell",
        "timestamp": datetime.now().isoformat(),
        "qty": str(randint(1, 10)),
    }
