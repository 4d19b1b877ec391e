/** Time is an input (STYLE.md): the engine asks a Clock and schedules on Timers, never the OS. */
export interface Clock {
  /** Unix time in milliseconds (virtual in simulation). */
  now(): number;
}

export interface TimerHandle {
  cancel(): void;
}

/** Schedules callbacks on the clock's time line. */
export interface Timers extends Clock {
  setTimer(delayMs: number, callback: () => void): TimerHandle;
}
