package org.quadralib.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * A pull reader for the JSON of a file header, written for input from strangers: it reads strict JSON (RFC 8259)
 * from a stream in constant memory apart from the strings it returns, and every limit is checked as the bytes
 * arrive, before anything grows. Nesting deeper than {@link #MAX_DEPTH}, a string longer than
 * {@link #MAX_STRING_BYTES} UTF-8 bytes, a number literal longer than {@link #MAX_NUMBER_CHARS} characters,
 * invalid UTF-8 (overlong forms, surrogates, code points above U+10FFFF, lone escaped surrogates) and any syntax
 * error end in a {@link MalformedFileException} naming the file, the byte position and, where the caller has
 * set one, the entry; messages quote at most a few characters of the input.
 *
 * <p>The caller drives the grammar: {@link #beginObject()}, {@link #hasNext()}, {@link #name()}, and for values
 * {@link #string}, {@link #nonNegativeInteger}, {@link #skipValue()} and friends.
 */
final class HeaderJson {

    /** Deepest nesting of arrays and objects accepted (the header's own structure needs 3). */
    static final int MAX_DEPTH = 64;
    /** Longest string accepted, in UTF-8 bytes. */
    static final int MAX_STRING_BYTES = 16 * 1024 * 1024;
    /** Longest number literal accepted; 20 digits hold every unsigned 64-bit value. */
    static final int MAX_NUMBER_CHARS = 32;

    private final InputStream in;
    private final Path file;
    private long position;
    /** Read ahead from the stream: bytes {@code [next, limit)} are not consumed yet. */
    private final byte[] buffer = new byte[1 << 16];
    private int next;
    private int limit;
    /** Per open container: whether a member or element was read already (so the next one needs a comma). */
    private final boolean[] started = new boolean[MAX_DEPTH + 1];
    /** Per container opened by {@link #skipValue}: whether it is an object (its members have names). */
    private final boolean[] objects = new boolean[MAX_DEPTH + 1];
    private int depth;
    private String entry;

    HeaderJson(InputStream in, Path file) {
        this.in = in;
        this.file = file;
    }

    /** The tensor (or other entry) named in errors from now on, or null for the file as a whole. */
    void entry(String name) {
        entry = name == null ? null : abbreviate(name);
    }

    /** {@code text} cut to its first 200 characters, so a hostile name cannot flood a message. */
    static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "... (" + text.length() + " characters)";
    }

    /** True if the very first byte (no white space skipped) is {@code c}. */
    boolean startsWith(char c) throws IOException {
        return position == 0 && peekByte() == c;
    }

    /** The next byte without consuming it, or -1 at the end. */
    private int peekByte() throws IOException {
        if (next == limit) {
            limit = in.read(buffer, 0, buffer.length);
            next = 0;
            if (limit <= 0) {
                limit = 0;
                return -1;
            }
        }
        return buffer[next] & 0xff;
    }

    private int readByte() throws IOException {
        int b = peekByte();
        if (b >= 0) {
            next++;
            position++;
        }
        return b;
    }

    /** The next byte that is not JSON white space, not consumed; -1 at the end. */
    int peek() throws IOException {
        int b = peekByte();
        while (b == ' ' || b == '\t' || b == '\n' || b == '\r') {
            readByte();
            b = peekByte();
        }
        return b;
    }

    MalformedFileException error(String detail) {
        return new MalformedFileException(file, entry, detail);
    }

    MalformedFileException syntax(String expected) throws IOException {
        int b = peekByte();
        String got = b < 0 ? "the end of the header" : b >= 0x20 && b < 0x7f ? "'" + (char) b + "'"
                : String.format("byte 0x%02x", b);
        return new MalformedFileException(file, entry, "header is not valid JSON: at byte " + position + " expected "
                + expected + ", got " + got);
    }

    private void expect(char c) throws IOException {
        if (peek() != c) {
            throw syntax("'" + c + "'");
        }
        readByte();
    }

    /** The type of the next value: one of <code>{ [ " n t f</code>, or {@code 0} for a number. */
    char peekValue() throws IOException {
        int b = peek();
        return switch (b) {
            case '{', '[', '"', 'n', 't', 'f' -> (char) b;
            case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' -> '0';
            default -> throw syntax("a value");
        };
    }

    void beginObject() throws IOException {
        expect('{');
        open();
    }

    void beginArray() throws IOException {
        expect('[');
        open();
    }

    private void open() throws MalformedFileException {
        if (depth == MAX_DEPTH) {
            throw error("header nests arrays and objects deeper than " + MAX_DEPTH + " levels");
        }
        started[++depth] = false;
    }

    /**
     * True if the open object or array has another member or element (consuming the comma before it), false at
     * its end (consuming the closing bracket).
     */
    boolean hasNext() throws IOException {
        int b = peek();
        if (b == '}' || b == ']') {
            readByte();
            depth--;
            return false;
        }
        if (started[depth]) {
            expect(',');
        }
        started[depth] = true;
        return true;
    }

    /** The name of the next object member, with its colon consumed. */
    String name() throws IOException {
        String name = string("a member name");
        expect(':');
        return name;
    }

    /** Consumes {@code null} if it is next; true if it was. */
    boolean nextNull() throws IOException {
        if (peek() != 'n') {
            return false;
        }
        literal("null");
        return true;
    }

    private void literal(String word) throws IOException {
        for (int i = 0; i < word.length(); i++) {
            if (peekByte() != word.charAt(i)) {
                throw syntax("'" + word + "'");
            }
            readByte();
        }
    }

    /**
     * A string value.
     *
     * @param what what the string is, for the message if something else comes
     */
    String string(String what) throws IOException {
        if (peek() != '"') {
            throw syntax(what + " (a string)");
        }
        readByte();
        StringBuilder sb = new StringBuilder();
        long start = position;
        while (true) {
            if (position - start > MAX_STRING_BYTES) {
                throw error("header string starting at byte " + start + " is longer than " + MAX_STRING_BYTES
                        + " bytes");
            }
            int b = readByte();
            if (b < 0) {
                throw syntax("the end of a string");
            } else if (b == '"') {
                return sb.toString();
            } else if (b == '\\') {
                escape(sb);
            } else if (b < 0x20) {
                throw new MalformedFileException(file, entry, "header is not valid JSON: at byte " + (position - 1)
                        + " an unescaped control character 0x" + Integer.toHexString(b) + " inside a string");
            } else if (b < 0x80) {
                sb.append((char) b);
            } else {
                sb.appendCodePoint(utf8(b));
            }
        }
    }

    private void escape(StringBuilder sb) throws IOException {
        int e = readByte();
        switch (e) {
            case '"', '\\', '/' -> sb.append((char) e);
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'n' -> sb.append('\n');
            case 'r' -> sb.append('\r');
            case 't' -> sb.append('\t');
            case 'u' -> {
                char c = hex4();
                if (Character.isHighSurrogate(c)) {
                    if (readByte() != '\\' || readByte() != 'u') {
                        throw error("header is not valid JSON: lone surrogate \\u" + Integer.toHexString(c)
                                + " before byte " + position);
                    }
                    char low = hex4();
                    if (!Character.isLowSurrogate(low)) {
                        throw error("header is not valid JSON: lone surrogate \\u" + Integer.toHexString(c)
                                + " before byte " + position);
                    }
                    sb.append(c).append(low);
                } else if (Character.isLowSurrogate(c)) {
                    throw error("header is not valid JSON: lone surrogate \\u" + Integer.toHexString(c)
                            + " before byte " + position);
                } else {
                    sb.append(c);
                }
            }
            default -> throw new MalformedFileException(file, entry, "header is not valid JSON: at byte "
                    + (position - 1) + " an invalid escape sequence");
        }
    }

    private char hex4() throws IOException {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(readByte(), 16);
            if (d < 0) {
                throw error("header is not valid JSON: bad \\u escape before byte " + position);
            }
            v = v << 4 | d;
        }
        return (char) v;
    }

    /** Decodes one UTF-8 sequence whose lead byte {@code b0} was read; refuses every ill-formed one. */
    private int utf8(int b0) throws IOException {
        int extra;
        int cp;
        int min;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            extra = 1;
            cp = b0 & 0x1F;
            min = 0x80;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            extra = 2;
            cp = b0 & 0x0F;
            min = 0x800;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            extra = 3;
            cp = b0 & 0x07;
            min = 0x10000;
        } else {
            throw notUtf8();
        }
        for (int i = 0; i < extra; i++) {
            int b = peekByte();
            if ((b & 0xC0) != 0x80 || b < 0) {
                throw notUtf8();
            }
            readByte();
            cp = cp << 6 | (b & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || cp >= 0xD800 && cp <= 0xDFFF) {
            throw notUtf8();
        }
        return cp;
    }

    private MalformedFileException notUtf8() {
        return error("header is not valid UTF-8 at byte " + (position - 1));
    }

    /** A number value as its literal text, checked against the JSON number grammar. */
    String number(String what) throws IOException {
        if (peekValue() != '0') {
            throw syntax("a number");
        }
        StringBuilder sb = new StringBuilder();
        int b = peekByte();
        while (b == '-' || b == '+' || b == '.' || b == 'e' || b == 'E' || b >= '0' && b <= '9') {
            if (sb.length() == MAX_NUMBER_CHARS) {
                throw error(what + " at byte " + (position - sb.length()) + " is longer than "
                        + MAX_NUMBER_CHARS + " characters");
            }
            sb.append((char) readByte());
            b = peekByte();
        }
        String text = sb.toString();
        if (!text.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) {
            throw error("header is not valid JSON: " + what + " '" + text + "' before byte " + position
                    + " is not a number");
        }
        return text;
    }

    /**
     * A number that must be a non-negative integer written without sign, fraction or exponent (as the reference
     * implementation's {@code usize} fields require) and at most {@code max}.
     *
     * @param what the field, for the message
     */
    long nonNegativeInteger(String what, long max) throws IOException {
        if (peek() != '-' && (peek() < '0' || peek() > '9')) {
            throw error("'" + what + "' must hold non-negative integers, got " + describeNext());
        }
        String text = number("'" + what + "' value");
        if (!text.matches("0|[1-9][0-9]*")) {
            throw error("'" + what + "' must hold non-negative integers, got " + text);
        }
        // Compared as text first: a 19-digit literal can still exceed Long.MAX_VALUE.
        if (text.length() > 19 || text.length() == 19 && text.compareTo(Long.toString(Long.MAX_VALUE)) > 0
                || Long.parseLong(text) > max) {
            throw error("'" + what + "' value " + text + " exceeds " + max);
        }
        return Long.parseLong(text);
    }

    /** A short description of the next value for messages, without reading it. */
    String describeNext() throws IOException {
        return switch (peekValue()) {
            case '{' -> "an object";
            case '[' -> "an array";
            case '"' -> "a string";
            case 'n' -> "null";
            case 't', 'f' -> "a boolean";
            default -> "a number";
        };
    }

    /** Reads and discards the next value, however nested (within {@link #MAX_DEPTH}), without recursion. */
    void skipValue() throws IOException {
        int floor = depth;
        skipOne();
        while (depth > floor) {
            if (hasNext()) {
                if (objects[depth]) {
                    name();
                }
                skipOne();
            }
        }
    }

    /** Reads a scalar, or opens a container and notes its kind. */
    private void skipOne() throws IOException {
        switch (peekValue()) {
            case '{' -> {
                beginObject();
                objects[depth] = true;
            }
            case '[' -> {
                beginArray();
                objects[depth] = false;
            }
            case '"' -> string("a string");
            case 'n' -> literal("null");
            case 't' -> literal("true");
            case 'f' -> literal("false");
            default -> number("a number");
        }
    }

    /** Requires that only white space remains. */
    void end() throws IOException {
        if (peek() != -1) {
            throw error("header is not valid JSON: content after its closing '}' at byte " + position);
        }
    }
}
