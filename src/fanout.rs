//! Work spread over threads with results in a fixed order, so that what comes back does
//! not depend on the scheduling: [`map_in_order`] over the machine's cores (a choice's
//! trials), [`each_mut`] one thread an item (the models' fits side by side). Pure.

/// `f` of every item on the machine's cores: thread `t` of `n` takes items `t`, `t + n`,
/// …, and the results come back in item order, so they do not depend on the scheduling.
pub fn map_in_order<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len().max(1));
    let f = &f;
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t..items.len())
                        .step_by(threads)
                        .map(|k| (k, f(&items[k])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    done.sort_by_key(|(k, _)| *k);
    done.into_iter().map(|(_, r)| r).collect()
}

/// `f` on each item side by side, one thread an item (Prophet's fits beside the LSTM's
/// training use the cores one alone would leave idle); the results in item order, each
/// depending on its own item alone, so the same whatever the scheduling.
pub fn each_mut<T: Send + ?Sized, R: Send>(
    items: &mut [Box<T>],
    f: impl Fn(&mut T) -> R + Sync,
) -> Vec<R> {
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .iter_mut()
            .map(|item| scope.spawn(move || f(item.as_mut())))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_item_order() {
        let items: Vec<u64> = (0..37).collect();
        let out = map_in_order(&items, |&x| {
            // Later items finish first on any scheduling.
            std::thread::sleep(std::time::Duration::from_micros(40 - x));
            x * x
        });
        assert_eq!(out, items.iter().map(|x| x * x).collect::<Vec<_>>());
        assert!(map_in_order(&[] as &[u8], |_| 0).is_empty());
        // One thread an item, each changing its own.
        let mut boxes: Vec<Box<u64>> = (0..9).map(Box::new).collect();
        let got = each_mut(&mut boxes, |x| {
            std::thread::sleep(std::time::Duration::from_micros(10 - *x));
            *x += 100;
            *x * 2
        });
        assert_eq!(got, (0..9).map(|x| (x + 100) * 2).collect::<Vec<u64>>());
        assert_eq!(*boxes[3], 103);
    }
}
