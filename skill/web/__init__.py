"""The web service: the Alexa endpoint, its edge checks and verifier, the gunicorn worker, and the browser
simulator. Needs the `server` extra; the Lambda path never imports it."""
