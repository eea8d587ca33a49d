"""The environment variables that configure the DynamoDB store (read by dynamodb.DynamoDbSettings.from_env).

Their own module, with nothing else in it: the Lambda asks for TABLE_ENV on every cold start, and one without a
table then imports nothing else of the store (its settings class alone would cost the start ~0.7 ms).
"""

TABLE_ENV = "HAMSTRING_DYNAMODB_TABLE"
REGION_ENV = "HAMSTRING_DYNAMODB_REGION"  # else AWS_REGION, else AWS_DEFAULT_REGION (Lambda sets both)
ENDPOINT_ENV = "HAMSTRING_DYNAMODB_ENDPOINT"  # a local endpoint (moto, DynamoDB Local); unset for AWS itself
CREATE_TABLE_ENV = "HAMSTRING_DYNAMODB_CREATE_TABLE"  # "1" to create the table when missing; off by default
TIMEOUT_ENV = "HAMSTRING_DYNAMODB_TIMEOUT"  # seconds, for connecting and for each answer
ATTEMPTS_ENV = "HAMSTRING_DYNAMODB_MAX_ATTEMPTS"  # total attempts per call, the first included
