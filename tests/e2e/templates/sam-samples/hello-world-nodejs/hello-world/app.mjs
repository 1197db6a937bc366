/**
 * Sample Lambda function, as `sam init` writes it: an ES module answering API Gateway.
 */
export const lambdaHandler = async (event, context) => {
  const response = {
    statusCode: 200,
    body: JSON.stringify({
      message: 'hello world',
    }),
  };
  return response;
};
