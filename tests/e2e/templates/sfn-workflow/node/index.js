// Prices one item for the Map states of the sfn-workflow state machines.
exports.handler = async (event) => {
  if (event.sku === 'broken') {
    const e = new Error(`no price for ${event.sku}`);
    e.name = 'PriceError';
    throw e;
  }
  return { sku: event.sku, index: event.index, price: (event.sku || '').length * 10 };
};
