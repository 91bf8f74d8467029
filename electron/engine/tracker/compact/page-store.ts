/** Cells per page of the block pools (16 KiB): small enough that a small tracker stays small. */
export const PAGE_CELLS = 4096;
/** Pages kept for reuse beyond what the pools hold (256 KiB); more go back to the system. */
const MAX_SPARE_PAGES = 16;

/**
 * 16 KiB pages for the block pools, shared by all block sizes of one state: a page one size
 * class gives up is the next page another takes, so contents and peers, which pass through
 * every size on their way up, reuse memory instead of leaving it to the allocator.
 */
export class PageStore {
  private readonly spare: Int32Array[] = [];

  take(): Int32Array {
    return this.spare.pop() ?? new Int32Array(PAGE_CELLS);
  }

  give(page: Int32Array): void {
    if (page.length === PAGE_CELLS && this.spare.length < MAX_SPARE_PAGES) this.spare.push(page);
  }
}
