"""The portal's one e-mail outbox: messages written with the change that causes them, sent by a
worker (`flask --app app mail send`) with retries."""
