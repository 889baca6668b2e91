// `lab audit` lives in its own package. Only that package being absent means "not installed";
// anything else (a broken build, a missing file inside it, an exception while loading) is a
// fault to report, never something to pass off as "unknown command".
import { oneLine } from '@runtime-lab/scenarios';

export type AuditCli = (argv: string[]) => Promise<number>;

export type AuditState = { kind: 'ready'; cli: AuditCli } | { kind: 'not-installed' } | { kind: 'broken'; reason: string };

const PACKAGE = '@runtime-lab/audit';

export async function loadAudit(importer: () => Promise<unknown> = () => import(PACKAGE)): Promise<AuditState> {
  let audit: unknown;
  try {
    audit = await importer();
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code === 'ERR_MODULE_NOT_FOUND' && typeof message === 'string' && message.startsWith(`Cannot find package '${PACKAGE}'`)) {
      return { kind: 'not-installed' };
    }
    return { kind: 'broken', reason: `${PACKAGE} could not be loaded: ${oneLine(error)}` };
  }
  const cli = (audit as { runAuditCli?: unknown } | null)?.runAuditCli;
  if (typeof cli !== 'function') return { kind: 'broken', reason: `${PACKAGE} loaded but exports no runAuditCli function` };
  return { kind: 'ready', cli: cli as AuditCli };
}
