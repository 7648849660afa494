import { InvalidArgumentError, type Command } from 'commander';
import { ROLES, TokenAuthority, type Role } from '../../../platform/identity/index.ts';
import { durationSeconds, formatDuration } from '../../../platform/identity/index.ts';
import { ConfigError, jwtSecret, loadConfig } from '../kit/index.ts';

export function registerToken(program: Command): void {
  program
    .command('token')
    .description('Mint a bearer token for the API, signed with this data dir\'s secret (or COMPANYOS_JWT_SECRET).')
    .requiredOption('--tenant <tenant>', 'tenant the token acts for')
    .option('--role <role>', `role, repeatable (${ROLES.join(', ')})`, collectRole, [] as Role[])
    .option('--ttl <duration>', 'lifetime, e.g. 15m, 24h, 30d', parseDuration, '24h')
    .option('--subject <subject>', 'who the token is for (defaults to tenant:roles); dual control tells principals apart by it')
    .option('--env <env>', 'environment the token is valid in (defaults to COMPANYOS_ENV, else dev)')
    .option('--region <region>', 'region of the holder (defaults to COMPANYOS_REGION, else local)')
    .addHelpText('after', '\nExample:\n  export TOKEN=$(companyos token --tenant summit-internal --role writer)')
    .action(async (options: { tenant: string; role: Role[]; ttl: string; subject?: string; env?: string; region?: string }) => {
      const config = loadConfig();
      const authority = new TokenAuthority(await jwtSecret(config), { maxTtlSeconds: config.maxTokenTtlSeconds });
      if (durationSeconds(options.ttl)! > config.maxTokenTtlSeconds) {
        throw new ConfigError(`--ttl ${options.ttl} is longer than tokens may live here (at most ${formatDuration(config.maxTokenTtlSeconds)}; COMPANYOS_MAX_TOKEN_TTL sets it).`);
      }
      const roles = options.role.length ? options.role : (['writer'] as Role[]);
      console.log(await authority.mint({
          tenant: options.tenant, roles, expiresIn: options.ttl, subject: options.subject, env: options.env ?? config.env, region: options.region ?? config.region,
        }));
    });
}

function collectRole(value: string, previous: Role[]): Role[] {
  if (!(ROLES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`"${value}" is not a role; use one of ${ROLES.join(', ')}.`);
  }
  return [...previous, value as Role];
}

function parseDuration(value: string): string {
  if (!/^\d+\s*(s|sec|secs|m|min|mins|h|hr|hrs|hour|hours|d|day|days|w|week|weeks)$/.test(value)) {
    throw new InvalidArgumentError(`"${value}" is not a duration like 15m, 24h or 30d.`);
  }
  return value;
}
