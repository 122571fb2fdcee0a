/**
 * Facts only the addon knows (which methods read contiguous rows, which
 * vector widths the kernels take, the full-verification limit, the test
 * switches in force), read from it so the harness keeps no second copy.
 */
import { loadAddon, type NativeFacts } from './addon.js';
import { UserError } from '../errors.js';

export function nativeFacts(): NativeFacts {
  const { addon, loadError } = loadAddon();
  if (!addon) throw new UserError(loadError!);
  return addon.facts();
}

/** Whether the CPU reads the table in a method's timed samples (the registry's source 'host'; a peer's worker is no method of the addon). */
export function readsTableOnCpu(method: string, facts: NativeFacts = nativeFacts()): boolean {
  return facts.methods.find((m) => m.name === method)?.source === 'host';
}

export function isContiguous(method: string, facts: NativeFacts = nativeFacts()): boolean {
  return facts.methods.find((m) => m.name === method)?.contiguous ?? false;
}

/** What every output of a run made with a test switch says about it. */
export function testSwitchWarnings(f: NativeFacts): string[] {
  const s = f.testSwitches;
  const out: string[] = [];
  if (s.sameDevice) out.push('multi-GPU points ran every worker on one GPU (GATHERBENCH_TEST_SAME_DEVICE): a test of the orchestration, not a scaling measurement');
  if (s.slowdownUs > 0) out.push(`deliberately slowed by ${s.slowdownUs} µs per sample (GATHERBENCH_TEST_SLOWDOWN_US): for testing regression gates, not a real measurement`);
  if (s.slowdownPct > 0) out.push(`deliberately slowed by ${s.slowdownPct}% of each sample (GATHERBENCH_TEST_SLOWDOWN_PCT): for testing regression gates, not a real measurement`);
  if (s.corrupt > -2) out.push(`outputs deliberately corrupted (GATHERBENCH_TEST_CORRUPT): a test of verification`);
  if (s.cudaErrorGpu >= 0) out.push(`a CUDA error planted on GPU ${s.cudaErrorGpu} of every multi-GPU point (GATHERBENCH_TEST_CUDA_ERROR): a test of error handling`);
  if (s.throwInPool) out.push('host gathers deliberately throw on a pool worker (GATHERBENCH_TEST_THROW_IN_POOL): a test of error handling');
  if (s.threadFailAt >= 0) out.push(`CPU thread ${s.threadFailAt} of every pool deliberately cannot be made (GATHERBENCH_TEST_THREAD_FAIL_AT): a test of error handling`);
  if (s.reserveFail) out.push('index-set reservations deliberately run out of memory (GATHERBENCH_TEST_RESERVE_FAIL): a test of error handling');
  if (s.fullVerifyBytesLowered) out.push(`full-verification limit lowered to ${f.fullVerifyBytes} bytes (GATHERBENCH_TEST_FULL_VERIFY_BYTES): a test of the host methods' sampled verification`);
  return out;
}
