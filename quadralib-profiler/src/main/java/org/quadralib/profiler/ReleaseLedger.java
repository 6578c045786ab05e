package org.quadralib.profiler;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Matches releases to the allocations they end. Release events do not say which allocation they end (a memory
 * scope or the garbage collector releases buffers on behalf of every module), so a release of {@code n} bytes
 * ends the oldest open claim of exactly {@code n} bytes, preferring one with the same claimant as the release.
 * Buffer sizes usually identify their owner; among same-sized buffers of different owners the attribution can
 * swap, but every release still ends exactly one claim of its size, so totals stay exact.
 *
 * @param <C> who claims an allocation (an owner path, or an owner and op)
 */
final class ReleaseLedger<C> {
    private final Map<Long, ArrayDeque<C>> open = new HashMap<>();

    /** Records an allocation of {@code bytes} claimed by {@code claimant}. */
    void allocated(long bytes, C claimant) {
        open.computeIfAbsent(bytes, k -> new ArrayDeque<>()).addLast(claimant);
    }

    /**
     * Ends the claim a release of {@code bytes} most likely belongs to.
     *
     * @param hint the claimant the release event names
     * @return the claimant whose allocation ended, or null if no open claim has that size
     */
    C released(long bytes, C hint) {
        ArrayDeque<C> q = open.get(bytes);
        if (q == null) {
            return null;
        }
        C found = null;
        for (Iterator<C> it = q.iterator(); it.hasNext();) {
            C c = it.next();
            if (c.equals(hint)) {
                it.remove();
                found = c;
                break;
            }
        }
        if (found == null) {
            found = q.pollFirst();
        }
        if (q.isEmpty()) {
            open.remove(bytes);
        }
        return found;
    }
}
