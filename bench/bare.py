"""The baseline: a bare Flask app answering a fixed string, served the same way as the portal."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return "Caesarean section network"
