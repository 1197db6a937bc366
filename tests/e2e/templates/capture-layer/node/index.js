exports.handler = async (event) => ({ runtime: 'node', order: event.order, password: event.password });
