/**
 * A growable list of int32s for per-request tables that keeps its storage from one request to
 * the next: `array.length = 0` would free an array's storage, and growing it back allocates.
 */
export class IntList {
  data = new Int32Array(256);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) this.grow();
    this.data[this.length++] = value;
  }

  clear(): void {
    this.length = 0;
  }

  private grow(): void {
    const bigger = new Int32Array(this.data.length * 2);
    bigger.set(this.data);
    this.data = bigger;
  }
}
