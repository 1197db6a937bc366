#pragma once

#include "base/result.h"

#include <QString>

namespace tarmac {

// Hard links, for snapshots of the state's immutable files (blobs, sealed log segments, part
// files): a snapshot of 10,000 objects links them instead of copying their bytes, and a file
// the live state deletes later lives on in the snapshot. Both paths are on one file system
// (the state folder's).

// Links `from` as `to` (an existing `to` is left alone).
Result<void> linkFile(const QString &from, const QString &to);
// Links every regular file under `fromDir` into the same place under `toDir`, making folders
// as needed; files `toDir` has already are left alone. The number of files linked.
Result<qint64> linkTree(const QString &fromDir, const QString &toDir);

} // namespace tarmac
