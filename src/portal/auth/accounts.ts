/**
 * Local accounts, one Secret each in the portal namespace (`<portal>-account-<sha256(username), 16 hex>`), so that
 * every replica sees an account the moment it is created, and two replicas registering the same name at once
 * cannot both succeed: the API server refuses the second create (409). The name is a hash so that any user name
 * maps to a valid object name; the Secret also holds the user name itself, which is checked on read.
 */
import { createHash } from 'node:crypto';

import { Labels, MANAGED_BY } from '../../constructs/index.js';
import { type KubeClient, KubeError } from '../../runtime/index.js';
import { hashPassword } from './passwords.js';

export interface Account {
  readonly username: string;
  readonly email: string;
  readonly passwordHash: string;
  readonly created: string;
}

export interface Registration {
  readonly username: string;
  readonly email: string;
  readonly password: string;
  readonly confirm: string;
}

/** A field the learner must correct, with the message shown next to it. */
export interface FieldError {
  readonly field: 'username' | 'email' | 'password' | 'confirm';
  readonly message: string;
}

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{2,39}$/;
const EMAIL_PATTERN = /^[^\s@<>"]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
export const PASSWORD_MIN = 8;
/** Long enough for any passphrase; a bound so that hashing stays cheap to refuse. */
export const PASSWORD_MAX = 256;

/**
 * Checks a registration form; returns every problem at once so the learner fixes them in one go. User names are
 * lower case letters, digits, '.', '_' and '-' (no '@' or ':', which the ids of guests and OIDC users contain).
 */
export function validateRegistration(form: Partial<Record<keyof Registration, unknown>>, reserved: readonly string[] = []): FieldError[] {
  const errors: FieldError[] = [];
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const username = text(form.username).trim();
  const email = text(form.email).trim();
  const password = text(form.password);
  if (!username) errors.push({ field: 'username', message: 'Username is required.' });
  else if (!USERNAME_PATTERN.test(username)) {
    errors.push({
      field: 'username',
      message: 'Username must be 3 to 40 characters: lower case letters, digits, ".", "_" or "-", starting with a letter or digit.',
    });
  } else if (reserved.includes(username)) errors.push({ field: 'username', message: `Username "${username}" is taken; choose another.` });
  if (!email) errors.push({ field: 'email', message: 'Email is required.' });
  else if (email.length > 254 || !EMAIL_PATTERN.test(email))
    errors.push({ field: 'email', message: 'Email must be an address such as ada@example.com.' });
  if (!password) errors.push({ field: 'password', message: 'Password is required.' });
  else if (password.length < PASSWORD_MIN) errors.push({ field: 'password', message: `Password must have at least ${PASSWORD_MIN} characters.` });
  else if (password.length > PASSWORD_MAX) errors.push({ field: 'password', message: `Password must have at most ${PASSWORD_MAX} characters.` });
  else if (username && password.toLowerCase().includes(username))
    errors.push({ field: 'password', message: 'Password must not contain the username.' });
  if (password && text(form.confirm) !== password) errors.push({ field: 'confirm', message: 'Confirm password must match the password.' });
  return errors;
}

export class AccountStore {
  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly portal: string,
  ) {}

  public secretName(username: string): string {
    return `${this.portal}-account-${createHash('sha256').update(username).digest('hex').slice(0, 16)}`;
  }

  /** The account, or undefined when there is none with this user name. */
  public async find(username: string): Promise<Account | undefined> {
    if (!USERNAME_PATTERN.test(username)) return undefined;
    const secret = await this.client.get<{ data?: Record<string, string> }>('v1', 'Secret', this.secretName(username), this.namespace);
    const data = secret?.data ?? {};
    const field = (key: string) => Buffer.from(data[key] ?? '', 'base64').toString('utf8');
    // a hash collision of the first 64 bits would land here: the stored name must match
    if (!secret || field('username') !== username) return undefined;
    return { username, email: field('email'), passwordHash: field('passwordHash'), created: field('created') };
  }

  /** Creates the account; returns 'taken' when the name exists (on any replica, even at the same moment). */
  public async create(username: string, email: string, password: string): Promise<Account | 'taken'> {
    const account: Account = { username, email, passwordHash: await hashPassword(password), created: new Date().toISOString() };
    try {
      await this.client.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: this.secretName(username),
          namespace: this.namespace,
          labels: { [Labels.MANAGED_BY]: MANAGED_BY, [Labels.PORTAL]: this.portal, [Labels.COMPONENT]: 'portal-account' },
        },
        type: 'Opaque',
        stringData: { ...account },
      });
      return account;
    } catch (error) {
      if (error instanceof KubeError && error.status === 409) return 'taken';
      throw error;
    }
  }
}
