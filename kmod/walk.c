// SPDX-License-Identifier: GPL-2.0
/*
 * Sentinel: page-table walker.
 *
 * walk_page_range() is not exported to modules, so the walk descends the
 * page tables itself.  It runs under the mmap read lock.  Since 6.5 a PTE
 * table may be freed without the mmap lock (after an RCU grace period),
 * so a PTE table is only dereferenced under rcu_read_lock() and its lock,
 * after checking that the PMD still points to it.  PMD-mapped THPs are
 * read under the PMD lock.  Only the page tables are read: the memory of
 * the objects is never touched.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>

#include "internal.h"

static void sntl_walk_account(struct sntl_walk *w, struct page *page,
			      unsigned long nr, bool thp)
{
	int nid = page_to_nid(page);

	if (nid >= SENTINEL_MAX_NODES)
		nid = SENTINEL_MAX_NODES - 1;
	w->present += nr;
	w->node[nid] += nr;
	if (thp)
		w->thp += nr;
}

/*
 * A present page is counted when it is ordinary memory of the mapping: not
 * a special mapping, not the shared zero page (in an anonymous VMA, any
 * page that is not anonymous is a zero page).
 */
static struct page *sntl_walk_page(struct vm_area_struct *vma,
				   unsigned long pfn)
{
	struct page *page;

	if (is_zero_pfn(pfn) || !pfn_valid(pfn))
		return NULL;
	page = pfn_to_page(pfn);
	if (vma_is_anonymous(vma) && !PageAnon(page))
		return NULL;
	return page;
}

/* Return -EAGAIN when the PMD changed under us and must be read again. */
static int sntl_walk_ptes(struct vm_area_struct *vma, pmd_t *pmdp,
			  pmd_t pmdval, unsigned long addr, unsigned long end,
			  struct sntl_walk *w)
{
	spinlock_t *ptl;	/* the PTE table's lock */
	pte_t *ptep;
	int ret = 0;

	rcu_read_lock();
	ptl = pte_lockptr(vma->vm_mm, &pmdval);
	spin_lock(ptl);
	if (!pmd_same(pmdval, READ_ONCE(*pmdp))) {
		ret = -EAGAIN;
		goto out;
	}
	ptep = pte_offset_kernel(&pmdval, addr);
	for (; addr < end; addr += PAGE_SIZE, ptep++) {
		pte_t pte = ptep_get(ptep);
		struct page *page;

		if (!pte_present(pte) || pte_special(pte))
			continue;
		page = sntl_walk_page(vma, pte_pfn(pte));
		if (!page)
			continue;
		sntl_walk_account(w, page, 1, false);
		/*
		 * A NUMA-hinting PROT_NONE entry keeps the accessed bit it had
		 * when NUMA balancing took its access away: it still says
		 * whether the page was touched since the last clear.
		 */
		if (w->clear_young &&
		    test_and_clear_bit(_PAGE_BIT_ACCESSED,
				       (unsigned long *)&ptep->pte)) {
			w->young++;
			w->last_young_addr = addr;
		}
	}
out:
	spin_unlock(ptl);
	rcu_read_unlock();
	return ret;
}

/* Return true when the PMD maps a THP (or a THP under migration). */
static bool sntl_walk_huge_pmd(struct vm_area_struct *vma, pmd_t *pmdp,
			       unsigned long addr, unsigned long end,
			       struct sntl_walk *w)
{
	spinlock_t *ptl = pmd_lock(vma->vm_mm, pmdp);
	pmd_t pmdval = READ_ONCE(*pmdp);
	bool huge = true;

	if (pmd_trans_huge(pmdval)) {
		struct page *page = sntl_walk_page(vma, pmd_pfn(pmdval));
		unsigned long nr = (end - addr) >> PAGE_SHIFT;

		if (page) {
			unsigned long base = addr & HPAGE_PMD_MASK;

			sntl_walk_account(w, page, nr, true);
			/*
			 * Objects of one pass that share this THP share its
			 * single accessed bit: test it once, remember it.
			 */
			if (w->clear_young && w->thp_addr != base) {
				w->thp_addr = base;
				w->thp_young =
					test_and_clear_bit(_PAGE_BIT_ACCESSED,
							   (unsigned long *)pmdp);
			}
			if (w->clear_young && w->thp_young) {
				w->young += nr;
				w->last_young_addr = end - PAGE_SIZE;
			}
		}
	} else if (pmd_none(pmdval) || pmd_present(pmdval)) {
		/* Split or freed meanwhile: walk it as a PTE table. */
		huge = false;
	}
	/* Otherwise a migration entry: nothing present. */
	spin_unlock(ptl);
	return huge;
}

static void sntl_walk_pmds(struct vm_area_struct *vma, pud_t *pudp,
			   unsigned long addr, unsigned long end,
			   struct sntl_walk *w)
{
	pmd_t *pmdp = pmd_offset(pudp, addr);
	unsigned long next;

	for (; addr < end; pmdp++, addr = next) {
		pmd_t pmdval;

		next = pmd_addr_end(addr, end);
again:
		pmdval = READ_ONCE(*pmdp);
		if (pmd_none(pmdval))
			continue;
		if (pmd_trans_huge(pmdval) || pmd_devmap(pmdval) ||
		    !pmd_present(pmdval)) {
			if (pmd_devmap(pmdval)) {
				w->skipped += (next - addr) >> PAGE_SHIFT;
				continue;
			}
			if (sntl_walk_huge_pmd(vma, pmdp, addr, next, w))
				continue;
			goto again;
		}
		if (pmd_bad(pmdval))
			continue;
		if (sntl_walk_ptes(vma, pmdp, pmdval, addr, next, w) == -EAGAIN)
			goto again;
	}
}

static void sntl_walk_vma(struct vm_area_struct *vma, unsigned long addr,
			  unsigned long end, struct sntl_walk *w)
{
	pgd_t *pgdp = pgd_offset(vma->vm_mm, addr);
	unsigned long pgd_next, p4d_next, pud_next;

	for (; addr < end; pgdp++, addr = pgd_next) {
		p4d_t *p4dp;

		pgd_next = pgd_addr_end(addr, end);
		if (pgd_none(*pgdp) || pgd_bad(*pgdp))
			continue;
		p4dp = p4d_offset(pgdp, addr);
		for (; addr < pgd_next; p4dp++, addr = p4d_next) {
			pud_t *pudp;

			p4d_next = p4d_addr_end(addr, pgd_next);
			if (p4d_none(*p4dp) || p4d_bad(*p4dp))
				continue;
			pudp = pud_offset(p4dp, addr);
			for (; addr < p4d_next; pudp++, addr = pud_next) {
				pud_t pudval = READ_ONCE(*pudp);

				pud_next = pud_addr_end(addr, p4d_next);
				if (pud_none(pudval) || pud_bad(pudval))
					continue;
				sntl_walk_pmds(vma, pudp, addr, pud_next, w);
			}
		}
	}
}

/**
 * sntl_walk_range() - count the pages of a range by residency and node
 * @mm: address space; the caller holds a reference and the mmap read lock
 * @start: first byte, page-aligned
 * @end: one past the last byte, page-aligned, above @start
 * @w: counters to add to
 *
 * Pages not covered by any VMA are counted as unmapped; pages of VMAs that
 * are not ordinary memory (VM_IO, VM_PFNMAP, hugetlb) as skipped.  With
 * @w->clear_young the accessed bit of every present page is tested and
 * cleared (a PMD-mapped THP counts as its base pages in the range); the
 * caller flushes the TLB if it needs the next access to set it again.
 * May sleep between VMAs.
 *
 * Return: 0, or -EINTR when a fatal signal is pending.
 */
int sntl_walk_range(struct mm_struct *mm, unsigned long start,
		    unsigned long end, struct sntl_walk *w)
{
	unsigned long addr = start;

	mmap_assert_locked(mm);
	w->pages += (end - start) >> PAGE_SHIFT;

	while (addr < end) {
		struct vm_area_struct *vma = find_vma(mm, addr);
		unsigned long vend;

		if (!vma || vma->vm_start >= end) {
			w->unmapped += (end - addr) >> PAGE_SHIFT;
			break;
		}
		if (vma->vm_start > addr) {
			w->unmapped += (vma->vm_start - addr) >> PAGE_SHIFT;
			addr = vma->vm_start;
		}
		vend = min(end, vma->vm_end);
		if ((vma->vm_flags & (VM_IO | VM_PFNMAP)) ||
		    is_vm_hugetlb_page(vma))
			w->skipped += (vend - addr) >> PAGE_SHIFT;
		else
			sntl_walk_vma(vma, addr, vend, w);
		addr = vend;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}
