"""Names a doc may present as code without the crate defining them: Rust's keywords and
primitive types, the standard library's top-level modules, prelude and common
types, traits and macros, and the methods of std's traits and common types.

Written as data for `grounding`: a name here is real in any crate.
"""

from __future__ import annotations

STD_ROOTS = frozenset({"std", "core", "alloc"})
"""Crates every Rust crate can name: a path starting here is checked against `STD_MODULES`/`STD_ITEMS`."""

KEYWORDS = frozenset("""
as async await break const continue crate dyn else enum extern false fn for if impl in let loop match mod
move mut pub ref return self Self static struct super trait true type union unsafe use where while
""".split())

PRIMITIVES = frozenset("""
bool char str u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize f32 f64 never
""".split())

STD_MODULES = frozenset("""
alloc any arch array ascii backtrace borrow boxed cell char clone cmp collections convert default env error
f32 f64 ffi fmt fs future hash hint i8 i16 i32 i64 i128 io isize iter marker mem net num ops option os panic
path pin prelude primitive process ptr rc result slice str string sync task thread time u8 u16 u32 u64 u128
usize vec simd intrinsics
""".split())

STD_ITEMS = frozenset("""
Option Some None Result Ok Err Vec String Box Rc Arc Weak Cow Cell RefCell OnceCell OnceLock LazyLock Mutex
MutexGuard RwLock Condvar Barrier HashMap HashSet BTreeMap BTreeSet VecDeque BinaryHeap LinkedList Entry
Path PathBuf OsStr OsString CStr CString File OpenOptions Metadata DirEntry ReadDir Permissions Duration
Instant SystemTime Ordering Reverse PhantomData PhantomPinned NonNull NonZeroUsize NonZeroU32 NonZeroU64
Pin Range RangeInclusive Wrapping Saturating Formatter Arguments Chars Bytes Lines Split Peekable Rev Map
Filter Chain Zip Enumerate Once Empty Repeat Iter IntoIter IterMut Drain Stdin Stdout Stderr BufReader
BufWriter Cursor ErrorKind SocketAddr IpAddr Ipv4Addr Ipv6Addr TcpStream TcpListener UdpSocket Command
Child ExitStatus Output Stdio JoinHandle Thread ThreadId Sender Receiver SyncSender AtomicBool AtomicUsize
AtomicU8 AtomicU32 AtomicU64 AtomicI32 AtomicI64 AtomicPtr TypeId Layout Utf8Error FromUtf8Error
ParseIntError ParseFloatError TryFromIntError Infallible Location PanicInfo Waker Context Poll Ready Pending
Clone Copy Debug Display Default Eq PartialEq Ord PartialOrd Hash Hasher BuildHasher From Into TryFrom TryInto
AsRef AsMut Borrow BorrowMut ToOwned ToString FromStr Deref DerefMut Drop Fn FnMut FnOnce Send Sync Sized
Unpin Any Iterator IntoIterator DoubleEndedIterator ExactSizeIterator FusedIterator Extend FromIterator Sum
Product Read Write BufRead Seek SeekFrom Error Add Sub Mul Div Rem Neg Not BitAnd BitOr BitXor Shl Shr
AddAssign SubAssign Index IndexMut RangeBounds Bound Future IntoFuture Termination Write Alignment
println print eprintln eprint format format_args write writeln vec panic assert assert_eq assert_ne
debug_assert debug_assert_eq debug_assert_ne unreachable unimplemented todo matches cfg env concat stringify
include include_str include_bytes line file column module_path compile_error dbg thread_local
""".split())
"""std's prelude, common types, traits and macros (macro names without `!`)."""

STD_METHODS = frozenset("""
new default clone clone_from to_owned to_string to_vec into from try_from try_into as_ref as_mut borrow
borrow_mut deref deref_mut drop fmt eq ne cmp partial_cmp lt le gt ge max min hash len is_empty iter
iter_mut into_iter next next_back map filter filter_map flat_map fold for_each collect count sum product
any all find position rev zip enumerate chain take skip peekable last nth step_by unwrap unwrap_or
unwrap_or_else unwrap_or_default expect ok err ok_or ok_or_else and_then or_else is_some is_none is_ok
is_err as_deref as_slice as_str as_bytes as_ptr as_path to_str to_path_buf to_lowercase to_uppercase
push push_str pop insert remove get get_mut contains contains_key starts_with ends_with split splitn
split_whitespace trim trim_start trim_end lines chars bytes char_indices parse replace join concat extend
append clear truncate reserve with_capacity capacity sort sort_by sort_by_key dedup retain entry or_insert
or_insert_with keys values values_mut first last read write read_to_string read_to_end write_all flush
lock take_while skip_while display exists is_file is_dir file_name extension parent components join
set get_or_insert with_hasher build_hasher finish hash_one send recv spawn join sleep now elapsed
as_secs as_millis from_str from_utf8 from_iter into_inner into_boxed_slice into_bytes is_match matches
""".split())
"""Methods of std's traits and common types, as docs name them (`clone`, `is_empty`, ...)."""


def is_std_name(name: str) -> bool:
    """Whether a single identifier is a keyword, primitive or a std name any crate may mention."""
    return name in KEYWORDS or name in PRIMITIVES or name in STD_ITEMS or name in STD_METHODS or name in STD_MODULES or name in STD_ROOTS
