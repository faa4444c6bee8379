namespace Sluice.Trigger;

/// <summary>
/// The objects that uploads of this process put into a bucket and record the jobs of themselves, for the folder
/// trigger of the same process to pass over: reading such an object again would copy and hash all of it into a fresh
/// workspace only to find its job there already. An object is known by bucket, key, size and last write time, so a
/// different file put under the key later (by hand, by another process) is not mistaken for it and is taken as usual.
/// Uploads made by another process are not known here: its trigger takes them the usual way and finds their job by
/// content.
/// </summary>
/// <remarks>
/// An entry lives from just before the upload renames its object into place until the trigger has passed over that
/// object, normally well under a second. Entries the trigger never comes to (no trigger in this process, the object
/// replaced or removed first) are dropped oldest first beyond <see cref="Capacity"/>; dropping one early costs only
/// the read it was there to save.
/// </remarks>
public sealed class RecordedUploads
{
    /// <summary>How many objects are remembered at most: far more than uploads in flight at once.</summary>
    public const int Capacity = 1024;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Upload> _uploads = new(StringComparer.Ordinal);
    private long _begun;

    /// <summary>What the trigger should do with an object it found.</summary>
    public enum Verdict
    {
        /// <summary>Not an upload of this process (or no longer the file it put there): taken as usual.</summary>
        NotOurs,
        /// <summary>The upload is still recording its job: looked at again soon (if recording fails, it is taken).</summary>
        BeingRecorded,
        /// <summary>The upload recorded its job: nothing to read.</summary>
        Recorded,
    }

    /// <summary>
    /// Called just before an upload renames its complete object into place, with the size and last write time the
    /// file has (a rename keeps both): from then on the trigger waits for the upload rather than reading the object.
    /// </summary>
    public Upload Begin(string bucket, string key, long size, DateTime modifiedUtc)
    {
        lock (_gate)
        {
            if (_uploads.Count >= Capacity)
                _uploads.Remove(_uploads.MinBy(u => u.Value.Order).Key);   // a linear look, only ever at the cap
            var upload = new Upload(this, NameOf(bucket, key), size, modifiedUtc, ++_begun);
            // A later upload under the same key replaces an earlier one: only the newest file can be the one in place.
            _uploads[upload.Name] = upload;
            return upload;
        }
    }

    /// <summary>
    /// The trigger found <paramref name="bucket"/>/<paramref name="key"/> at this size and last write time. An upload
    /// that has recorded its job is forgotten once the trigger has passed over its object.
    /// </summary>
    public Verdict PassOver(string bucket, string key, long size, DateTime modifiedUtc)
    {
        lock (_gate)
        {
            var name = NameOf(bucket, key);
            if (!_uploads.TryGetValue(name, out var upload) || upload.Size != size || upload.ModifiedUtc != modifiedUtc) return Verdict.NotOurs;
            if (!upload.IsRecorded) return Verdict.BeingRecorded;
            _uploads.Remove(name);
            return Verdict.Recorded;
        }
    }

    /// <summary>How many objects are remembered now.</summary>
    public int Count
    {
        get { lock (_gate) return _uploads.Count; }
    }

    private static string NameOf(string bucket, string key) => bucket + "/" + key;   // a bucket name has no '/'

    private void Recorded(Upload upload)
    {
        lock (_gate) upload.IsRecorded = true;
    }

    private void Ended(Upload upload)
    {
        lock (_gate)
        {
            // Not recorded (the upload failed after the rename): the object is left to the trigger, which takes it.
            if (!upload.IsRecorded && _uploads.GetValueOrDefault(upload.Name) == upload) _uploads.Remove(upload.Name);
        }
    }

    /// <summary>One upload's object, from just before its rename until its job is recorded (or recording failed).</summary>
    public sealed class Upload : IDisposable
    {
        private readonly RecordedUploads _owner;

        internal Upload(RecordedUploads owner, string name, long size, DateTime modifiedUtc, long order) =>
            (_owner, Name, Size, ModifiedUtc, Order) = (owner, name, size, modifiedUtc, order);

        internal string Name { get; }
        internal long Size { get; }
        internal DateTime ModifiedUtc { get; }
        internal long Order { get; }
        internal bool IsRecorded { get; set; }

        /// <summary>The object's job is recorded (created, or found to exist): the trigger passes over the object.</summary>
        public void Recorded() => _owner.Recorded(this);

        /// <summary>Ends the upload; one whose job was not recorded leaves its object to the trigger.</summary>
        public void Dispose() => _owner.Ended(this);
    }
}
