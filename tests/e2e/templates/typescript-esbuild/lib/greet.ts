export interface Greeting {
  message: string;
}

export function greet(name: string): Greeting {
  const greeting: string = process.env.GREETING ?? 'Hello';
  return { message: `${greeting}, ${name}!` };
}
