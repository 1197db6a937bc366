// A layer's module: on Lambda it is found under /opt/nodejs/node_modules.
exports.greet = (greeting, name) => `${greeting}, ${name}!`;
