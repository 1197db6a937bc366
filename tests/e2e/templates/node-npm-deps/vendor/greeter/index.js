export function greet(name) {
  return `hello from the greeter package, ${name}`;
}
