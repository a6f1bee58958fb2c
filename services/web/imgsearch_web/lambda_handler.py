"""AWS Lambda entry point: the web app behind API Gateway, built once per container from the environment."""

from apig_wsgi import make_lambda_handler

from imgsearch_web import create_app

app = create_app()
handler = make_lambda_handler(app, binary_support=True)
