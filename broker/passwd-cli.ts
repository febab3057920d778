/** `tether passwd PRINCIPAL` reads a password from stdin (or TETHER_PASSWORD) and prints a users-file line. */
import { hashPassword } from './auth.ts';
import { isId } from '../protocol/topics.ts';

export async function main(argv: string[]): Promise<number | void> {
  const [principal] = argv;
  if (!principal || principal === '--help' || !isId(principal)) {
    console.error('usage: echo PASSWORD | tether passwd PRINCIPAL >> users.txt\nPRINCIPAL: 1-64 of A-Z a-z 0-9 . _ -');
    return 2;
  }
  let password = process.env.TETHER_PASSWORD;
  if (password === undefined) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    password = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  if (!password) {
    console.error('tether passwd: empty password');
    return 2;
  }
  console.log(`${principal}:${hashPassword(password)}`);
}
