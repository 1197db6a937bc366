import vendoredgreet


def handler(event, context):
    return vendoredgreet.greet()
