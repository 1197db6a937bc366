const { greet } = require('greeting');

exports.lambdaHandler = async (event) => ({
  message: greet(process.env.GREETING, event.name || 'world'),
  stage: process.env.STAGE,
  logLevel: process.env.LOG_LEVEL,
  bucket: process.env.ASSETS_BUCKET,
  memory: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
});
