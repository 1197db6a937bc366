"""Writes wheels/tinygreet-1.0.0-py3-none-any.whl: a one-module package, so that the app's
requirements.txt installs without a package index."""
import base64
import hashlib
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = {
    "tinygreet/__init__.py": 'def greet(name):\n    return "hello from tinygreet, %s" % name\n',
    "tinygreet-1.0.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: tinygreet\nVersion: 1.0.0\n",
    "tinygreet-1.0.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: build_wheel.py\n"
                                        "Root-Is-Purelib: true\nTag: py3-none-any\n",
}


def digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


with zipfile.ZipFile(os.path.join(HERE, "tinygreet-1.0.0-py3-none-any.whl"), "w") as whl:
    record = []
    for name, text in FILES.items():
        data = text.encode()
        whl.writestr(name, data)
        record.append("%s,%s,%d" % (name, digest(data), len(data)))
    record.append("tinygreet-1.0.0.dist-info/RECORD,,")
    whl.writestr("tinygreet-1.0.0.dist-info/RECORD", "\n".join(record) + "\n")
print("wrote wheels/tinygreet-1.0.0-py3-none-any.whl")
