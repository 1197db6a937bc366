import { greet } from 'greeter';

export const handler = async (event) => ({ message: greet(event.name ?? 'world') });
